package detect

import "strings"

// givenNames is a compact list of common given names from many cultures
// (about 1,600: English-speaking countries, Western, Northern and Eastern Europe, Latin
// America, the Arab world, Turkey, Iran, South and East Asia, Africa),
// compiled by the project from general knowledge of frequent names; no
// third-party name list was copied. Names that are also common words or
// places are in ambiguousGivenNames too: they count when a capitalised
// surname follows, not alone.
const givenNames = `
aaron abby abigail ada adam adele adeline adrian adriana adrienne agnes aidan aiden aileen aimee alan
alana albert alberta alec alejandra alejandro alex alexa alexander alexandra alexandria alexis alfred
alice alicia alisha alison allan allen allison alma alvin alyssa amanda amelia amy ana andre andrea
andrew andy angela angelica angelina angie anita ann anna annabelle anne annette annie anthony antonio
april archie ariana arianna arielle arlene arnold arthur ashley ashton aubrey audrey austin ava avery
barbara barry beatrice becky belinda ben benjamin bernadette bernard bernice beth bethany betty beverly
bianca bill billy blake bonnie brad bradley brandi brandon brandy brenda brendan brent brett brian
briana brianna bridget brittany brittney brooke bruce bryan bryce caitlin caleb calvin cameron camila
candace cara carl carla carlos carly carmen carol caroline carolyn carrie casey cassandra catherine
cathy cecilia cedric chad charlene charles charlie charlotte chelsea cheryl chester chloe chris
christina christine christopher christy cindy claire clara clarence claudia clayton clifford clinton
clyde cody colby cole colin colleen connie connor constance cora corey courtney craig crystal curtis
cynthia daisy dakota dale dallas damian damon dan dana daniel daniela danielle danny darlene darrell
darren darryl dave david dawn dean deanna debbie deborah debra delia denise dennis derek derrick
desiree devin diana diane dianne dolores dominic don donald donna dora doris dorothy douglas drew
duane dustin dwayne dylan earl eddie edgar edith edna eduardo edward edwin eileen elaine eleanor elena
eli elijah elisa elizabeth ella ellen ellie elliot elliott eloise elsie emily emma eric erica erik
erika erin ernest esther ethan ethel eugene eva evan evelyn faith felicia felix fernando florence floyd
frances francis frank franklin freddie frederick gabriel gabriela gabriella gabrielle gail gary gavin
gene geoffrey george georgia gerald geraldine gilbert gina gladys glen glenda glenn gloria gordon grace
graham grant greg gregory gretchen gwen gwendolyn hailey haley hannah harold harriet harrison harry
harvey hayden hazel heather hector heidi helen henry herbert herman hilary holly howard hugh hunter ian
ida irene iris isaac isabel isabella isabelle ivan jack jackie jackson jacob jacqueline jade jake james
jamie jan jane janet janice jared jasmine jason jasper jay jean jeanette jeanne jeff jeffery jeffrey
jenna jennifer jenny jeremiah jeremy jerome jerry jesse jessica jessie jill jim jimmy jo joan joanna
joanne jocelyn jodi jody joe joel john johnny jon jonathan jordan jose joseph josephine josh joshua joy
joyce juan juanita judith judy julia julian juliana julie juliet june justin kaitlyn kara karen kari
karl kate katelyn katherine kathleen kathryn kathy katie katrina kay kayla keith kelly kelsey ken
kendra kenneth kenny kent kerry kevin kim kimberly kirk kristen kristi kristin kristina kristy krystal
kurt kyle lacey lance larry laura lauren laurie lawrence leah lee leila leland lena leo leon leonard
leroy leslie lester lewis liam lillian lily linda lindsay lindsey lisa lloyd logan lois lola lonnie
loren lorena lori lorraine louis louise lucas lucille lucy luis luke lydia lynda lynn mabel mackenzie
madeline madison maggie mallory mandy marc marcia marcus margaret margie maria marian marie marilyn
marion marjorie mark marlene marsha marshall martha martin marvin mary mason matthew maureen maurice
max maxine megan meghan melanie melinda melissa melody melvin meredith mia micheal michael michele
michelle miguel mike mildred milton mindy miranda miriam misty mitchell molly monica morgan muriel
myrtle nadia nancy naomi natalie natasha nathan nathaniel neil nellie nelson nicholas nichole nick
nicole nina noah noel nora norma norman olive oliver olivia oscar owen paige pamela patricia patrick
patsy patty paul paula pauline pearl peggy penelope penny percy perry peter philip phillip phyllis
preston priscilla rachel ralph ramona randall randy raquel ray raymond rebecca regina reginald renee
rhonda ricardo richard rick ricky riley rita rob robert roberta robin rochelle rodney roger roland
ronald ronnie rosa rose rosemary ross roxanne roy ruby russell ruth ryan sabrina sadie sally sam
samantha samuel sandra sandy sara sarah savannah scott sean sebastian selena seth shane shannon sharon
shawn shawna sheila shelby shelly sherri sherry shirley sidney sierra simon sofia sonia sophia sophie
spencer stacey stacy stanley stella stephanie stephen steve steven stuart sue summer susan suzanne
sydney sylvia tamara tammy tanya tara taylor ted teresa terri terry theodore theresa thomas tiffany
tim timothy tina toby todd tom tommy toni tony tonya tracey traci tracy travis trevor trisha troy tyler
valerie vanessa vera vernon veronica vicki vickie victor victoria vincent violet virginia vivian wade
wallace walter wanda warren wayne wendy wesley whitney willard william willie wilma winston yolanda
yvette yvonne zachary zoe zoey

aaliyah addison adalyn alaina alina amara amaya anastasia andreas annika arabella aria ariel arlo
asher aspen athena aubree aurora axel bailey beau bella bentley blair bodhi braxton brayden brody
brooklyn bryson cade callie carson carter cash chase colton cooper dallas damon declan delilah easton
eliana eliza elliana ember emerson emmett everett everly ezra finley finn gemma genesis georgina
gianna grayson greyson harlow harper hudson ivy jace jaden jaxon jayden jett josiah jude kai kaia
kaylee kennedy khloe kinsley knox kylie landon layla leilani leo lila lilah lincoln luca luna lyla
mabel maddox maeve malachi marley mateo maverick maya mckenzie micah milo nevaeh nolan nova oakley
paisley parker peyton piper quinn reagan reese remi remington rhett river rory rowan ruby ryder sage
sawyer scarlett serenity silas skylar stella sutton teagan theo tristan vivienne waylon weston willow
wyatt xavier zane

ahmed ahmad ali amir amina aisha ayesha fatima fatma hassan hussein ibrahim ismail jamal karim khalid
layla leyla mahmoud malik mariam maryam mohammed mohammad mohamed muhammad mustafa nadia nour noor omar
rashid salma samir sara tariq yasmin yasmine yousef youssef yusuf zainab zeynep zara hamza bilal
mehmet emre burak elif ayse merve esra hakan murat kemal selin deniz ceren can cem serkan tolga
reza hossein mehdi parisa shirin arash dariush farhad leila navid nima sina soraya

aarav aditya akash amit anand anil anita anjali arjun arun asha deepa deepak dev divya gaurav gita
harish jaya karan kavita krishna lakshmi manish meena mohan nikhil pooja pradeep prakash priya rahul
raj rajesh rakesh ravi rohan sanjay santosh sandeep shreya sita sneha sunil sunita suresh swati vijay
vikram vinod vivek anushka ishaan kiran neha preeti ritu sachin shweta tanvi varun yash aditi amitabh
arvind dinesh ganesh girish jagdish kamal lalit mahesh naveen pankaj ramesh sameer shankar sonia
sudhir tarun uma usha veena vishal

wei fang jing li na min hui ying lei jun hao yan ping lin xin yu chen ming jie qiang tao xiao
hiroshi takashi kenji yuki haruto yui sakura akira daisuke ken kenta naoki ryo satoshi shota taro
yuto aiko ayumi emi hana kaori keiko mai mei miki naomi rin yoko yumi
minjun jiwoo seoyeon jiho hyun jisoo minji seojun yuna eunji jihoon sungmin
nguyen anh minh linh thanh tuan hoa lan mai trang huong duc hung quang

jose juan luis carlos jorge pedro miguel pablo diego javier sergio manuel antonio francisco rafael
alejandro andres fernando ricardo eduardo mario raul alberto enrique hector oscar roberto ruben
santiago sebastian mateo emiliano joaquin ignacio gonzalo rodrigo cristian felipe guillermo hugo
marco marcos martin nicolas tomas vicente adriana alejandra ana andrea beatriz carmen carolina
catalina cecilia claudia cristina daniela diana elena esperanza fernanda gabriela isabel josefina
juana laura lucia luisa magdalena marisol marta mercedes monica natalia paola patricia paula pilar
raquel rocio rosa sandra silvia sofia susana teresa valentina valeria ximena yolanda
joao pedro tiago gustavo thiago lucas rafael bruno vinicius leandro rodrigo matheus guilherme
felipe caio diogo goncalo rui nuno filipe beatriz ines mariana leticia larissa camila bruna juliana
luana renata vitoria giovanna

giuseppe giovanni francesco alessandro andrea luca marco matteo lorenzo stefano paolo davide
simone federico riccardo roberto fabio massimo salvatore antonio vincenzo emanuele alessio
giulia francesca chiara sara valentina alessia federica martina elisa silvia giorgia laura paola
roberta serena ilaria elena anna beatrice camilla ginevra ludovica carla rosa teresa erminio ornella
pierre jacques jean michel philippe alain bernard patrick nicolas christophe laurent sebastien
olivier thierry eric francois julien guillaume mathieu antoine maxime baptiste hugo louis theo
marie nathalie isabelle sylvie catherine francoise monique valerie sandrine celine camille manon
chloe lea ines juliette margaux amelie aurelie elodie emilie helene lucie mathilde pauline sophie
hans peter klaus jurgen wolfgang dieter uwe stefan thomas michael andreas frank markus christian
matthias tobias florian sebastian jonas lukas leon felix maximilian paul niklas jan tim moritz
fabian kai lars sven dirk ralf jens heike petra sabine monika ursula andrea claudia birgit karin
susanne katrin anja nicole stefanie julia lisa laura lena sarah hannah anna leonie lea emma mia
greta jana johanna kerstin bettina silke gisela renate helga ingrid
daan sem bram lars thijs ruben jesse stijn teun joost pieter willem sander maarten bart koen
femke sanne anouk lotte fleur iris noor tess eva lieke marloes annelies ingrid

lars erik anders johan per nils olof magnus karl sven gustav axel oskar viktor henrik fredrik
mikael jonas rasmus mads soren jens niels kasper morten thomas christoffer kristoffer ole bjorn
knut arne terje eirik sindre haakon kjetil jon gunnar olafur einar sigurdur snorri bardur
anna astrid ingrid karin kristina maja elsa freja ida linnea sara emma frida ebba saga alva
hanna sofie mette lene camilla sigrid solveig ragnhild kari tuva nora thea ingeborg helga
gudrun kristin sigrun johanna jonina
mikko jukka matti pekka juha antti timo kari ville jari heikki tuomas janne petri sami
anne paivi tiina leena sari minna johanna hanna laura emilia aino elina kaisa

ivan dmitri dmitry sergei sergey alexei alexey andrei andrey nikolai mikhail vladimir yuri oleg
pavel igor viktor boris anatoly artem maxim kirill denis roman evgeny konstantin stanislav
olga natalia elena irina tatiana svetlana anastasia ekaterina yulia marina ludmila galina
nadezhda oksana ksenia daria polina alina sofia veronika valentina lyudmila
piotr pawel tomasz krzysztof andrzej marcin michal jakub kamil lukasz mateusz grzegorz wojciech
katarzyna agnieszka malgorzata anna joanna magdalena monika ewa barbara zofia aleksandra natalia
jan petr jiri josef pavel martin tomas lukas jakub vaclav milan zdenek ondrej
jana eva hana lenka lucie petra tereza veronika marketa kristyna zuzana
laszlo istvan zoltan gabor peter janos sandor attila tamas balazs
zsofia katalin eszter erzsebet agnes ildiko krisztina boglarka
ion vasile gheorghe mihai andrei alexandru florin adrian cristian ionut
maria elena ioana andreea mihaela gabriela alina
nikos giorgos dimitris konstantinos yannis kostas panagiotis christos vasilis
eleni katerina sofia georgia dimitra vasiliki despina
milos nikola marko stefan luka aleksandar dragan goran zoran dejan nenad
jelena milica ana ivana marija dragana snezana tijana
jesenko kosara

kwame kofi kojo yaw ama akua abena efua adwoa chidi chinedu emeka obinna uche ngozi chiamaka
adaeze nneka ifeoma tunde babatunde oluwaseun ayodele folake funmilayo yetunde segun femi
sipho thabo themba bongani nomvula thandiwe lerato palesa mandla
amara zuri imani jabari juma baraka wanjiru wambui njeri kamau otieno achieng
abebe tesfaye haile mulugeta meseret tigist selam
`

// ambiguousGivenNames are given names that are also common English words,
// places or brands: alone they are not reported as names.
const ambiguousGivenNames = `
will may mark bill grace hope faith joy rose summer dawn art guy max frank jack pat sue don ray rich
sandy penny amber ruby pearl ivy holly lily iris daisy heather autumn crystal chance chase hunter
mason cooper carter grant lance miles wade reed price young king star sky river stone sunny rocky
buck dale glen cliff gene major royal prince angel christian august april june harmony melody destiny
trinity justice honor liberty rain storm eve jordan georgia paris florence victoria austin dallas
houston chelsea adelaide sydney charlotte savannah madison lincoln kent virginia carolina brooklyn
aurora eugene tyler denver phoenix israel india china kenya asia carmen mercedes nova genesis
serenity sage parker piper quinn remi river rory willow cash knox jett bailey blair kai luna
maya finn hudson jade ember aspen bodhi harper skylar scarlett stella teagan noel jay ken lee
kim jan can cem deniz emre ali jo ben dan nick rob ted toby drew dean earl
norman wayne gordon grant marshall stanley
leon leo hugo louis max jan
sofia uma usha kiran lan mai mei min ping yan yu lin
li na hui ying lei jun hao xin chen ming tao jie xiao hana rin ken emi anh minh hung
chad alba
` + "amara imani juma baraka"

// ambiguousFirstNames is the set of given names that are not reported alone.
var ambiguousFirstNames = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(ambiguousGivenNames) {
		m[w] = true
	}
	return m
}()
